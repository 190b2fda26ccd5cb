/* Who a user is. Endpoints name the roles they admit as a bit set of these. */
#ifndef EXOSAFE_ROLES_H
#define EXOSAFE_ROLES_H

typedef enum user_role {
	ROLE_NONE = 0,
	ROLE_PATIENT = 1 << 0,
	ROLE_DOCTOR = 1 << 1,
	ROLE_PHARMACIST = 1 << 2,
	ROLE_ADMIN = 1 << 3,
	/* A chain's or registry's safety officer (issue 18): of no clinic; sees pooled,
	 * de-identified adverse events, lots and signals, and raises cross-clinic lot alerts. */
	ROLE_SAFETY_OFFICER = 1 << 4,
} user_role;

#define ROLE_STAFF (ROLE_DOCTOR | ROLE_PHARMACIST | ROLE_ADMIN)
#define ROLE_ANY_USER (ROLE_PATIENT | ROLE_STAFF)

/* Returns the role's name ("patient", …), or "none" for ROLE_NONE. */
const char *role_name(user_role role);
/* Returns the role named by name, or ROLE_NONE when the name is not a role. */
user_role role_from_name(const char *name);

#endif
