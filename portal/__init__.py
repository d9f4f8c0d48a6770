"""The institution portal (issue 16): browser pages for the users of one 定点医药机构 under /portal/."""
