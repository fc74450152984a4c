/* guard.c -- placeholder */
