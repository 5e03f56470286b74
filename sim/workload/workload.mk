# exosim workloads and metrics: the sources sim/Makefrag links into exosim (SIM_IO_SRCS),
# and the flags they need.  The rng (sim/rng/rng.c) is linked by sim/Makefrag itself.
SIM_IO_SRCS := \
	sim/workload/dist.c \
	sim/workload/gen.c \
	sim/workload/gen_spec.c \
	sim/workload/jsonpos.c \
	sim/workload/load.c \
	sim/workload/load_params.c \
	sim/workload/load_task.c \
	sim/workload/load_value.c \
	sim/workload/workload.c \
	sim/metrics/hist.c \
	sim/metrics/metrics.c \
	sim/metrics/summary.c \
	sim/metrics/json_out.c \
	sim/metrics/trace.c
SIM_IO_LIBS := -ljansson -lm
