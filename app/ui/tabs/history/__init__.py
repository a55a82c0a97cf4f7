"""The Patients tab's parts: the chart view and what it opens."""
