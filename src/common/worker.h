/* worker.h -- placeholder */
