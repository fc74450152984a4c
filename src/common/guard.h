/* guard.h -- placeholder */
