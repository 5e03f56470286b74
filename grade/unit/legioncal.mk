# The Legion's result tools (issue 16 items 4 and 6): hw/legion/collect.py (netconsole lines
# to a log and BENCH lines to CSV, with a real UDP exchange on 127.0.0.1) and
# hw/legion/calibrate.py (that CSV to exosim's legion profile), tested on the committed
# sample hw/legion/tests/sample.csv; the calibrated profile must load in exosim.  A few
# seconds.  docs/legion.md, "Collecting results" and "Calibrating the simulator".

legion-calibrate-test: $(OBJ)/sim/exosim ## collect.py and calibrate.py unit tests; exosim loads the calibrated sample profile
	$(V)EXOSIM=$(abspath $(OBJ)/sim/exosim) $(PYTHON) -m unittest discover -s hw/legion/tests
	$(V)$(PYTHON) hw/legion/calibrate.py --check hw/legion/tests/sample.csv

TEST_TARGETS += legion-calibrate-test

.PHONY: legion-calibrate-test
