/* worker_client.c -- placeholder */
