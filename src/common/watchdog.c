/* watchdog.c -- placeholder */
