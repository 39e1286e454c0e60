"""The administrators' dashboard: figures from every domain for a period, composed at the top
(it reads hospital's and pharmacy's statistics services; nothing below imports it)."""
