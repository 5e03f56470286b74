#!/usr/bin/env python3
"""Prints the BENCH line for a full exosim run with a policy, from the events per host
second that exosim itself writes into its --json stats."""
import json
import sys

stats = json.load(open(sys.argv[1]))
host = stats["host"]
print(f"BENCH sim_events_policy {host['events_per_second']:.0f} events/s "
      f"({stats['events']} events, policy {stats['policy']}, machine {stats['machine']}, "
      f"{host['seconds']:.3f} s)")
