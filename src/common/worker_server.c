/* worker_server.c -- placeholder */
