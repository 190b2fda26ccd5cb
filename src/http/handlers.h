/* One function per endpoint; see routes.c for who may call which. */
#ifndef EXOSAFE_HANDLERS_H
#define EXOSAFE_HANDLERS_H

#include "http/http.h"

void handle_health(request *req);
void handle_csrf(request *req);
void handle_signup(request *req);
void handle_login(request *req);
void handle_logout(request *req);
void handle_me(request *req);
void handle_users_list(request *req);
void handle_users_create(request *req);
void handle_audit_list(request *req);

#endif
