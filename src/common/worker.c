/* worker.c -- placeholder */
