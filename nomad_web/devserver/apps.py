from django.apps import AppConfig


class DevServerConfig(AppConfig):
    # Listed before django.contrib.staticfiles: its runserver command is the one run.
    name = "nomad_web.devserver"
    label = "nomad_devserver"
    verbose_name = "Development server"
