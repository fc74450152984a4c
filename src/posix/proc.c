/* proc.c -- placeholder */
