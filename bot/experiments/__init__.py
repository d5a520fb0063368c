"""Broadcast experiments: variants and a holdout, outcomes from the engagement log, and the
uplift with its 95% confidence interval (see README, "Does it work? Broadcast experiments")."""
