/* misc.c -- placeholder */
