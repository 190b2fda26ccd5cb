/* The start of every printable page the core writes (packing slip, recall notice, PMDA form):
 * an HTML5 document in Japanese, UTF-8, readable on a phone before it is printed. Each page
 * follows it with its own <title> and print style. */
#ifndef EXOSAFE_PRINT_PAGE_H
#define EXOSAFE_PRINT_PAGE_H

#define PRINT_PAGE_HEAD                                                                                        \
	"<!DOCTYPE html>\n"                                                                                        \
	"<html lang=\"ja\">\n"                                                                                     \
	"<head>\n"                                                                                                 \
	"<meta charset=\"utf-8\">\n"                                                                               \
	"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"

#endif
