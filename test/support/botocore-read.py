"""Reads AWS config files the way the AWS CLI does, with botocore's own configloader, and prints JSON.

Usage: python3 botocore-read.py < paths.json   (a JSON list of file paths)
Prints one JSON list, one entry per path, in order:
  {"ok": true, "view": {"profile NAME": {...}, "sso-session NAME": {...}, "services NAME": {...}, "other HEADER": {...}}}
  {"ok": false, "error": "<botocore exception class>: <message>"}
"view" has the shape of AwsConfigFile.view() in src/vaults/aws.iam.sso/config-file.ts, so a test can compare the two.
The `[services X]` split is the one of the AWS CLI 2.36.7 (botocore/configloader.py _parse_section); 2.9.19 keeps
such sections under their raw header and reads them the same way otherwise.
One process reads every file: a property test of hundreds of configs costs one Python start-up.
"""
import json
import os
import shlex
import sys

CANDIDATES = [
    os.environ.get('KEYRACK_BOTOCORE_DIR', ''),
    '/usr/lib/python3/dist-packages/awscli',
    os.path.join(os.path.dirname(__file__), '..', '..', '..', 'shared', 'tools', 'aws-cli-v2', 'awscli'),
]
for candidate in CANDIDATES:
    if candidate and os.path.isfile(os.path.join(candidate, 'botocore', 'configloader.py')):
        sys.path.insert(0, candidate)
        break
else:
    print('botocore-read.py: no botocore found (apt-get install -y awscli)', file=sys.stderr)
    sys.exit(3)

import botocore.configloader as configloader  # noqa: E402
import botocore.exceptions as exceptions  # noqa: E402


def split_name(key):
    try:
        parts = shlex.split(key)
    except ValueError:
        return None
    return parts[1] if len(parts) == 2 else None


def read(path):
    try:
        raw = configloader.raw_config_parse(path)
    except exceptions.BotoCoreError as error:
        return {'ok': False, 'error': '%s: %s' % (type(error).__name__, error)}
    built = configloader.build_profile_map(raw)
    view = {}
    for name, values in built.pop('profiles').items():
        view['profile ' + name] = values
    for name, values in built.pop('sso_sessions').items():
        view['sso-session ' + name] = values
    for name, values in built.pop('services', {}).items():
        view['services ' + name] = values
    for key, values in built.items():
        if key.startswith('services'):
            name = split_name(key)
            if name is not None:
                view['services ' + name] = values
            continue
        view['other ' + key] = values
    return {'ok': True, 'view': view}


def main():
    paths = json.load(sys.stdin)
    json.dump([read(p) for p in paths], sys.stdout, ensure_ascii=True)


main()
