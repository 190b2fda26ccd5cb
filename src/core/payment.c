#include "core/payment.h"

#include <string.h>

static const char *reference_required(const char *reference)
{
	return reference != NULL && reference[0] != '\0' ? NULL : "reference_required";
}

static const char *reference_optional(const char *reference)
{
	(void)reference;
	return NULL;
}

static const payment_method bank_transfer = {
	"bank_transfer", "銀行振込", "Bank transfer", true, reference_required,
};
static const payment_method card_terminal = {
	"card_terminal", "クレジットカード(店頭端末)", "Card (terminal)", true, reference_required,
};
static const payment_method cash_on_delivery = {
	"cash_on_delivery", "代金引換", "Cash on delivery", false, reference_optional,
};

static const payment_method *const all_methods[] = {&bank_transfer, &card_terminal, &cash_on_delivery, NULL};

const payment_method *payment_method_find(const char *code)
{
	for (int i = 0; code && all_methods[i]; i++)
		if (strcmp(all_methods[i]->code, code) == 0)
			return all_methods[i];
	return NULL;
}

const payment_method *const *payment_methods(void)
{
	return all_methods;
}
