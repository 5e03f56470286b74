/* The kernel monitor: an interactive prompt ("K> ") on the consoles with commands to
 * inspect the machine (help, kerninfo, backtrace, mem, cpuid) and to halt or reboot it. */
#ifndef EXOLAB_MONITOR_H
#define EXOLAB_MONITOR_H

/* Reads and runs commands until one stops the machine; does not return otherwise. */
void monitor(void);

/* Splits `line` in place into at most MON_MAX_ARGS words and runs the command they name;
 * an empty line does nothing, an unknown command prints one line. */
#define MON_MAX_ARGS 8
void monitor_run(char *line);

#endif
