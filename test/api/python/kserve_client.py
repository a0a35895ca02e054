"""An independent KServe v2 client: Python grpcio (gRPC C-core) with message classes built at run
time from the server's own descriptor set, so it shares no code with the Node client or server.

usage: kserve_client.py DESCRIPTOR_SET ADDRESS MODEL SIZE SEED PIXELS_OUT
Prints one JSON object: metadata and the probabilities for a seeded random FP32 batch of 2.
"""
import json
import random
import struct
import sys

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory


def main():
    descriptor_set, address, model, size, seed, pixels_out = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
    fds = descriptor_pb2.FileDescriptorSet()
    with open(descriptor_set, "rb") as f:
        fds.ParseFromString(f.read())
    pool = descriptor_pool.DescriptorPool()
    for fd in fds.file:
        pool.Add(fd)

    factory = None if hasattr(message_factory, "GetMessageClass") else message_factory.MessageFactory(pool)

    def cls(name):
        desc = pool.FindMessageTypeByName(name)
        # protobuf >= 4.22 has GetMessageClass; Debian 12's 4.21 has MessageFactory.GetPrototype.
        return message_factory.GetMessageClass(desc) if factory is None else factory.GetPrototype(desc)

    channel = grpc.insecure_channel(address)

    def unary(method, req_name, res_name, request):
        fn = channel.unary_unary(
            "/inference.GRPCInferenceService/" + method,
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=cls(res_name).FromString,
        )
        return fn(request, timeout=60)

    meta = unary("ModelMetadata", "inference.ModelMetadataRequest", "inference.ModelMetadataResponse",
                 cls("inference.ModelMetadataRequest")(name=model))
    rng = random.Random(seed)
    n = 2 * 3 * size * size
    pixels = [rng.random() for _ in range(n)]
    req = cls("inference.ModelInferRequest")(model_name=model, id="py-1")
    inp = req.inputs.add()
    inp.name = meta.inputs[0].name
    inp.datatype = "FP32"
    inp.shape.extend([2, 3, size, size])
    raw_pixels = struct.pack("<%df" % n, *pixels)
    req.raw_input_contents.append(raw_pixels)
    with open(pixels_out, "wb") as f:  # the caller checks the answer against its own client
        f.write(raw_pixels)
    out = req.outputs.add()
    out.name = "probabilities"
    res = unary("ModelInfer", "inference.ModelInferRequest", "inference.ModelInferResponse", req)
    raw = res.raw_output_contents[0]
    probs = list(struct.unpack("<%df" % (len(raw) // 4), raw))
    print(json.dumps({
        "metadata": {"name": meta.name, "platform": meta.platform, "versions": list(meta.versions),
                     "inputs": [{"name": t.name, "datatype": t.datatype, "shape": list(t.shape)} for t in meta.inputs],
                     "outputs": [t.name for t in meta.outputs]},
        "id": res.id,
        "output": {"name": res.outputs[0].name, "shape": list(res.outputs[0].shape)},
        "probabilities": probs,
    }))


if __name__ == "__main__":
    main()
