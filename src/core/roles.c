#include "core/roles.h"

#include <string.h>

static const struct {
	user_role role;
	const char *name;
} role_names[] = {
	{ROLE_PATIENT, "patient"},
	{ROLE_DOCTOR, "doctor"},
	{ROLE_PHARMACIST, "pharmacist"},
	{ROLE_ADMIN, "admin"},
	{ROLE_SAFETY_OFFICER, "safety_officer"},
};

const char *role_name(user_role role)
{
	for (size_t i = 0; i < sizeof role_names / sizeof role_names[0]; i++)
		if (role_names[i].role == role)
			return role_names[i].name;
	return "none";
}

user_role role_from_name(const char *name)
{
	if (name == NULL)
		return ROLE_NONE;
	for (size_t i = 0; i < sizeof role_names / sizeof role_names[0]; i++)
		if (strcmp(role_names[i].name, name) == 0)
			return role_names[i].role;
	return ROLE_NONE;
}
