"""Intake: what institutions send before a visit is settled.

services  register, discharge, upload and cancel fee lines (2401/2402/2301/2302), each line classified at once
files     bulk CSV/XLSX upload jobs, imported by a task
lookups   a person's insured status (1101) and year (5206)
"""
