"""An AMQP consumer for the RabbitMQ tests: `ack` acknowledges every message, `hold` takes up
to PREFETCH messages and never acknowledges them (a stuck consumer). Runs until killed."""
import sys

import pika

host, port, user, password, queue, mode = sys.argv[1:7]
prefetch = int(sys.argv[7]) if len(sys.argv) > 7 else 10

conn = pika.BlockingConnection(
    pika.ConnectionParameters(
        host=host,
        port=int(port),
        virtual_host="/",
        credentials=pika.PlainCredentials(user, password),
    )
)
ch = conn.channel()
ch.basic_qos(prefetch_count=prefetch)


def on_message(channel, method, _properties, _body):
    if mode == "ack":
        channel.basic_ack(method.delivery_tag)


ch.basic_consume(queue=queue, on_message_callback=on_message, auto_ack=False)
print("ready", flush=True)
while True:
    conn.process_data_events(time_limit=0.2)
