/*
 * vectors.h — reading known-answer vector files (tests/vectors/NAME.txt):
 * records of "key = value" lines separated by blank lines, '#' comments.
 * Every helper fails the running cmocka test on malformed input.
 */
#ifndef CRN_HARNESS_VECTORS_H
#define CRN_HARNESS_VECTORS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CRN_T_VEC_FIELDS 16

typedef struct crn_t_vec_rec {
	char key[CRN_T_VEC_FIELDS][32];
	char val[CRN_T_VEC_FIELDS][400];
	int n;
} crn_t_vec_rec;

/* Open tests/vectors/<name> under $CAIRN_SRC. */
FILE *crn_t_vectors_open(const char *name);
/* Read the next record; 0 at end of file. */
int crn_t_vectors_next(FILE *f, crn_t_vec_rec *r);
/* The value of key, or NULL. */
const char *crn_t_rec_get(const crn_t_vec_rec *r, const char *key);
/* Decode key's hex value into out (at most max bytes); its length. */
size_t crn_t_rec_hex(
    const crn_t_vec_rec *r, const char *key, uint8_t *out, size_t max);

#endif /* CRN_HARNESS_VECTORS_H */
