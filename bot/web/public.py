"""placeholder"""


def install(app, runtime):
    pass
