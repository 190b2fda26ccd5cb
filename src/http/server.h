#ifndef EXOSAFE_SERVER_H
#define EXOSAFE_SERVER_H

#include "config.h"

/* Serves the API and the web UI until SIGINT or SIGTERM. The database must already be
 * migrated. Returns 0 after a clean shutdown, or 1 with a message on stderr when the server
 * could not start. */
int server_run(const server_config *cfg);

#endif
