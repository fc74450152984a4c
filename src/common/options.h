/* options.h -- placeholder */
