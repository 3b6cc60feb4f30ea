import type { LoadedDataConverter, Payload } from '@temporalio/common';

/**
 * The value at `index` of payloads read from a workflow's history (its input, an update's
 * arguments, an update's answer), through the client's codecs (last first, as the SDK decodes) and
 * payload converter: the SDK's public pieces, not its internal helper.
 */
export async function decodePayloadAt<T>(
  converter: LoadedDataConverter,
  index: number,
  payloads: Payload[] | null | undefined,
): Promise<T | undefined> {
  if (!payloads || payloads.length <= index) return undefined;
  let decoded = payloads;
  for (const codec of [...converter.payloadCodecs].reverse()) decoded = await codec.decode(decoded);
  return converter.payloadConverter.fromPayload<T>(decoded[index]!);
}
