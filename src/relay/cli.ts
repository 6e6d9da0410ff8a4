// agrenting-relay command line. Placeholder until the relay core lands: prints usage.
process.stdout.write('agrenting-relay: the relay is being built; try again after the next release.\n');
