/* sha1.c -- placeholder */
