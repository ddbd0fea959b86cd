"""A small synthetic FreeSport schema with data: what the self-tests run the gate against."""

SCHEMA = """
CREATE TABLE brands (id serial PRIMARY KEY, name text NOT NULL, slug text UNIQUE);
CREATE TABLE products (
    id bigserial PRIMARY KEY, name text NOT NULL, sku text UNIQUE, onec_id text UNIQUE,
    brand_id int REFERENCES brands(id), retail_price numeric(12,2), images jsonb DEFAULT '[]',
    is_active boolean NOT NULL DEFAULT true, created_at timestamptz DEFAULT now());
CREATE INDEX products_name_idx ON products (name);
CREATE TABLE orders (id bigserial PRIMARY KEY, number text UNIQUE NOT NULL, total numeric(12,2));
CREATE TABLE order_items (id bigserial PRIMARY KEY, order_id bigint REFERENCES orders(id) ON DELETE CASCADE,
    product_sku text, product_name text, price numeric(12,2), quantity int);
CREATE TABLE users (id serial PRIMARY KEY, email text UNIQUE NOT NULL);
CREATE TABLE django_migrations (id serial PRIMARY KEY, app varchar(255), name varchar(255),
    applied timestamptz DEFAULT now());
INSERT INTO brands (name, slug) SELECT 'Brand ' || i, 'brand-' || i FROM generate_series(1, 5) i;
INSERT INTO products (name, sku, onec_id, brand_id, retail_price)
    SELECT 'Product ' || i, 'SKU-' || i, 'g' || i || '#o' || i, 1 + i % 5, i * 1.5 FROM generate_series(1, 300) i;
INSERT INTO orders (number, total) SELECT 'N-' || i, i * 10 FROM generate_series(1, 40) i;
INSERT INTO order_items (order_id, product_sku, product_name, price, quantity)
    SELECT 1 + i % 40, 'SKU-' || i, 'Product ' || i, i, 1 FROM generate_series(1, 80) i;
INSERT INTO users (email) SELECT 'u' || i || '@example.org' FROM generate_series(1, 20) i;
INSERT INTO django_migrations (app, name) VALUES ('products', '0001_initial'), ('orders', '0001_initial');
"""

