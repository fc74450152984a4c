/* shm.c -- placeholder */
