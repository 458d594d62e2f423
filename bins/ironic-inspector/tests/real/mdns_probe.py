"""Looks for the service's mDNS advertisement the way real clients do.

``zeroconf``: python-zeroconf resolves ``baremetal-introspection`` and prints
its record as JSON, then waits for the service to withdraw it (prints
``withdrawn``) or times out.
``agent``: ironic-python-agent's own look-up (what it does when its callback
URL is ``mdns``); prints the endpoint and properties as JSON.
"""

import json
import sys
import threading

SERVICE_TYPE = '_openstack._tcp.local.'
NAME = 'baremetal-introspection.' + SERVICE_TYPE


def with_zeroconf(timeout):
    import zeroconf

    zc = zeroconf.Zeroconf(interfaces=zeroconf.InterfaceChoice.All,
                           ip_version=zeroconf.IPVersion.V4Only)
    removed = threading.Event()

    def changed(zeroconf, service_type, name, state_change):
        if (name == NAME
                and state_change is zeroconf_module.ServiceStateChange.Removed):
            removed.set()

    zeroconf_module = zeroconf
    info = zc.get_service_info(SERVICE_TYPE, NAME, timeout=timeout * 1000)
    if info is None:
        print(json.dumps({'found': False}), flush=True)
        zc.close()
        return 1
    print(json.dumps({
        'found': True,
        'addresses': info.parsed_addresses(),
        'port': info.port,
        'server': info.server,
        'properties': {k.decode(): (v.decode() if v is not None else None)
                       for k, v in info.properties.items()},
    }), flush=True)
    zeroconf.ServiceBrowser(zc, SERVICE_TYPE, handlers=[changed])
    # The test stops the service once it read the record above.
    if removed.wait(timeout):
        print('withdrawn', flush=True)
        code = 0
    else:
        print('still advertised', flush=True)
        code = 1
    zc.close()
    return code


def with_agent():
    from ironic_python_agent import mdns
    endpoint, properties = mdns.get_endpoint('baremetal-introspection')
    print(json.dumps({'endpoint': endpoint, 'properties': properties}),
          flush=True)
    return 0


if __name__ == '__main__':
    if sys.argv[1] == 'zeroconf':
        sys.exit(with_zeroconf(int(sys.argv[2])))
    sys.exit(with_agent())
