/* reproduce.c -- placeholder */
