def forward(a, b, c, d):
    t1 = a * b
    t2 = t1 + c
    t3 = t2 * d
    x = t3**2
    return x


def backward(a, b, c, d, dout=1.0):
    t1 = a * b
    t2 = t1 + c
    t3 = t2 * d
    dt3 = 2 * t3 * dout
    dt2 = d * dt3
    dd = t2 * dt3
    dt1 = dt2
    dc = dt2
    da = b * dt1
    db = a * dt1
    return da, db, dc, dd
