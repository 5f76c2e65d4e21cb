"""The embedded broker delivers whole messages, and only through its own transport."""

import os

from kombu import Connection, Queue

from integration_manager.broker import register


def test_a_message_is_renamed_into_place_whole(tmp_path):
    register()
    folder = tmp_path / "queue"
    folder.mkdir()
    options = {"data_folder_in": str(folder), "data_folder_out": str(folder)}
    with Connection("embedded-fs://", transport_options=options) as connection:
        queue = Queue("uploads", routing_key="uploads")
        with connection.Producer() as producer:
            producer.publish({"cart_id": 7}, routing_key="uploads", declare=[queue])

        names = os.listdir(folder)
        assert len(names) == 1
        assert names[0].endswith(".uploads.msg")
        message = connection.SimpleQueue(queue).get(timeout=2)
        message.ack()

    assert message.payload == {"cart_id": 7}
    assert os.listdir(folder) == []
