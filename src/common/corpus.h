/* corpus.h -- placeholder */
