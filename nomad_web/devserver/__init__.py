"""The development server as the project runs it (``manage.py runserver``)."""
