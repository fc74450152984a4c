/* dict.c -- placeholder */
