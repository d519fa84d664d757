import { clientErrorAnswer } from './client-error';

describe(clientErrorAnswer.name, () => {
  it.each([
    ['ERR_HTTP_REQUEST_TIMEOUT', 408, 'REQUEST_TIMEOUT'],
    ['HPE_HEADER_OVERFLOW', 431, 'HEADERS_TOO_LARGE'],
    ['HPE_INVALID_METHOD', 400, 'VALIDATION_FAILED'],
    [undefined, 400, 'VALIDATION_FAILED'],
  ])('answers %s with %i %s in the error envelope', (code, status, errorCode) => {
    const answer = clientErrorAnswer({ code });
    expect(answer.status).toBe(status);
    expect(answer.body).toEqual({ error: { code: errorCode, message: expect.any(String), details: [] } });
  });
});
