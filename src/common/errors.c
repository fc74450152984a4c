/* errors.c -- placeholder */
