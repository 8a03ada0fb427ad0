import { classfulLength, parseStaticRoutes } from './routes';

describe('static routes as udhcpc exports them', () => {
  it('parses option 121 pairs (DST/LEN GW), keeping only the network bits', () => {
    expect(parseStaticRoutes('10.99.0.0/16 192.168.77.1 0.0.0.0/0 192.168.77.1 10.1.2.3/8 0.0.0.0')).toEqual({
      classless: [
        { dst: '10.99.0.0/16', via: '192.168.77.1' },
        { dst: '0.0.0.0/0', via: '192.168.77.1' },
        { dst: '10.0.0.0/8', via: '0.0.0.0' },
      ],
      classful: [],
      bad: [],
    });
  });

  it('parses option 33 pairs (DST/GW) with classful masks, a host route when host bits are set', () => {
    expect(parseStaticRoutes('10.98.0.1/192.168.77.1 172.16.0.0/192.168.77.2 192.0.2.0/192.168.77.3').classful).toEqual([
      { dst: '10.98.0.1/32', via: '192.168.77.1' },
      { dst: '172.16.0.0/16', via: '192.168.77.2' },
      { dst: '192.0.2.0/24', via: '192.168.77.3' },
    ]);
    expect(classfulLength('10.0.0.0')).toBe(8);
    expect(classfulLength('191.255.0.0')).toBe(16);
  });

  it('refuses an option 33 default route and tokens it does not understand', () => {
    expect(parseStaticRoutes('0.0.0.0/192.168.77.1 10.0.0.0/33 1.2.3.4 10.9.0.0/16 nothere').bad)
      .toEqual(['0.0.0.0/192.168.77.1', '10.0.0.0/33', '1.2.3.4', '10.9.0.0/16', 'nothere']);
    expect(parseStaticRoutes('')).toEqual({ classless: [], classful: [], bad: [] });
  });
});
