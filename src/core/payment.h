/* How patients pay. A payment method is a small interface so that a real gateway can be
 * added later beside the manual methods a clinic uses today; exosafe never pretends to take
 * money itself: staff record what the bank, the card terminal or the carrier reports. */
#ifndef EXOSAFE_PAYMENT_H
#define EXOSAFE_PAYMENT_H

#include <stdbool.h>

typedef struct payment_method {
	const char *code;                 /* stored with the order */
	const char *label_ja, *label_en;
	/* True when the money must be in before units are dispensed; false for cash on
	 * delivery, where the carrier collects it. */
	bool paid_before_dispensing;
	/* Checks the reference staff enter when recording the payment (a transfer's name or
	 * number, a terminal's slip number). Returns NULL when acceptable, else a reason key. */
	const char *(*check_reference)(const char *reference);
} payment_method;

/* The method with this code, or NULL. */
const payment_method *payment_method_find(const char *code);
/* Every method, NULL-terminated, for listing. */
const payment_method *const *payment_methods(void);

#endif
