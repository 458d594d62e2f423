"""Ironic's API and conductor in one process, as the `ironic` command runs them.

Ironic 32's own `ironic` command passes `no_fork=` to oslo.service's threading
ServiceLauncher, which every released oslo.service 4.x refuses; this launcher
accepts and drops that argument, then runs the same single-process entry point.

Usage: python3 ironic_allinone.py --config-file ironic.conf
"""

import sys

import ironic.command  # noqa: F401  (selects oslo.service's threading backend)
from oslo_service import service

_ServiceLauncher = service.ServiceLauncher


class ServiceLauncher(_ServiceLauncher):
    def __init__(self, conf, restart_method='reload', no_fork=False, **kwargs):
        super().__init__(conf, restart_method=restart_method, **kwargs)


service.ServiceLauncher = ServiceLauncher

from ironic.command import singleprocess  # noqa: E402

if __name__ == '__main__':
    sys.argv[0] = 'ironic'
    sys.exit(singleprocess.main())
