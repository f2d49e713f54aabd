/*
 * test_log.c — log lines stay one line: a value from outside (a Lease holder with a newline)
 * cannot forge a second line; the message is quoted.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

Test(log, a_value_cannot_forge_a_line)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct logger lg = {.out = f, .level = LOG_INFO};
	log_info(&lg, "new \"leader\"", "holder=\"%s\"",
		 "evil\nts=x level=error msg=\"forged\"\r\t");
	log_debug(&lg, "hidden", NULL);
	fclose(f);
	cr_assert_eq(strchr(text, '\n'), text + len - 1, "not exactly one line: %s", text);
	cr_assert(strstr(text, "msg=\"new \\\"leader\\\"\""), "%s", text);
	cr_assert(strstr(text, "holder=\"evil\\nts=x level=error msg=\"forged\"\\r\\x09\""), "%s",
		  text);
	free(text);
}

Test(log, kube_vip_levels)
{
	enum log_level l;
	cr_assert_eq(log_level_parse("5", &l), 0);
	cr_assert_eq(l, LOG_DEBUG);
	cr_assert_eq(log_level_parse("4", &l), 0);
	cr_assert_eq(l, LOG_INFO);
	cr_assert_eq(log_level_parse("warn", &l), 0);
	cr_assert_eq(l, LOG_WARN);
	cr_assert_neq(log_level_parse("loud", &l), 0);
}
