"""Steps of the openstacksdk test: the service's API through openstacksdk's
`baremetal_introspection` proxy (the code Ironic itself calls), no auth, the
endpoint given. Prints one JSON document per step.

Usage: python3 sdk_steps.py URL STEP NODE
  start   start introspection without managing boot; the status after it
  wait    wait until finished; the status, processed and unprocessed data, the list
  rules   create, list, get and delete a rule
  abort   start, abort and wait; the status
"""

import json
import sys
import uuid

import openstack

url, step, node = sys.argv[1:4]
connection = openstack.connection.Connection(
    auth_type='none', baremetal_introspection_endpoint_override=url)
proxy = connection.baremetal_introspection


def status(introspection):
    return {'state': introspection.state, 'error': introspection.error,
            'is_finished': introspection.is_finished}


if step == 'start':
    proxy.start_introspection(node, manage_boot=False)
    result = status(proxy.get_introspection(node))
elif step == 'wait':
    introspection = proxy.wait_for_introspection(node, timeout=60)
    result = {
        'introspection': status(introspection),
        'data': proxy.get_introspection_data(introspection),
        'unprocessed': proxy.get_introspection_data(introspection,
                                                    processed=False),
        'listed': [i.id for i in proxy.introspections()],
    }
elif step == 'rules':
    # openstacksdk's rule resource requires the client to pick the UUID and
    # posts to /v1/rules/<uuid>.
    rule = proxy.create_introspection_rule(
        id=str(uuid.uuid4()), description='sdk rule', conditions=[],
        actions=[{'action': 'set-attribute', 'path': '/extra/sdk',
                  'value': 'yes'}])
    listed = [r.id for r in proxy.introspection_rules()]
    fetched = proxy.get_introspection_rule(rule.id)
    proxy.delete_introspection_rule(rule.id)
    result = {'created': {'id': fetched.id,
                          'description': fetched.description},
              'listed': listed,
              'after_delete': rule.id in [r.id for r in
                                          proxy.introspection_rules()]}
elif step == 'abort':
    proxy.start_introspection(node, manage_boot=False)
    proxy.abort_introspection(node)
    result = status(proxy.wait_for_introspection(node, timeout=60,
                                                 ignore_error=True))
else:
    sys.exit('unknown step ' + step)

json.dump(result, sys.stdout, default=str)
