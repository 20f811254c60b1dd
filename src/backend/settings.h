/*
 * settings.h
 *	  The dataexport.* settings.
 */
#ifndef DATAEXPORT_SETTINGS_H
#define DATAEXPORT_SETTINGS_H

extern bool de_enabled;
extern int	de_max_workers;
extern int	de_max_rows;
extern int	de_max_file_size_kb;
extern int	de_expiration_s;
extern int	de_statement_timeout_ms;
extern int	de_naptime_s;
extern int	de_retry_delay_ms;
extern int	de_max_queued_per_role;
extern char *de_sql_role;
extern char *de_forward_settings;
extern char *de_user_id_setting;
extern int	de_parquet_row_group_size_kb;

extern void de_define_settings(void);

#endif
