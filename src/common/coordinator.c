/* coordinator.c -- placeholder */
