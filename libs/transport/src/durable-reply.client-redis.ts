import { ClientRedis } from '@nestjs/microservices';

/**
 * Nest's Redis client subscribes to a pattern's reply channel for each call
 * and unsubscribes when the last caller is done, counting callers. A call
 * whose subscribe fails (the broker went away) is counted down without ever
 * having been counted up, so after an outage the count runs negative and
 * the channel is unsubscribed under calls still waiting on it: their replies
 * are lost and they time out, one after another. This client keeps every
 * reply channel it subscribed (one per pattern; Redis restores them on
 * reconnect), so no call loses its reply to another's bookkeeping.
 */
export class DurableReplyClientRedis extends ClientRedis {
  protected override unsubscribeFromChannel(): void {
    // Stay subscribed: see the class comment.
  }
}
