/* SIGHUP (reload.c): the configuration and what it names read again, and put in force all
 * together or not at all, while coupond serves. */
#ifndef SVC_RELOAD_H
#define SVC_RELOAD_H

#include "config.h"

/* Reads the configuration again from ARGC/ARGV (the command line coupond started with, so
 * the config file and the environment are read afresh), then the server certificate and key,
 * the client CA, the CRL and the key directory it names. When every one of them is good they
 * are all put in force for the requests and connections that start from then on (connections
 * already open keep being served), with the log level and the limits a reload applies, and
 * *CFG is replaced by the new configuration (the old one freed). When any one is not, nothing
 * changes and each problem is logged. Settings that need a restart are logged when they
 * changed and stay as they were. Tells the service manager (RELOADING=1, then READY=1) and
 * /metrics. Returns 0 when applied, -1 when refused. Call from the thread that waits for
 * signals, never from two threads at once. */
int reload_run(int argc, char **argv, struct svc_config **cfg);

#endif
