from django.dispatch import Signal

# Sent inside the transaction that records a signed contract (kwarg ``contract``), so a
# receiver that writes the integration outbox commits or rolls back with it.
contract_signed = Signal()
