-- A small hand-written data subset for the pagila fixture (the upstream data
-- files are too large to ship). Enough rows for every FK path to be exercised.
SET search_path = public;
INSERT INTO language (language_id, name) VALUES (1, 'English'), (2, 'Italian');
INSERT INTO country (country_id, country) VALUES (1, 'Canada'), (2, 'Australia');
INSERT INTO city (city_id, city, country_id) VALUES (1, 'Lethbridge', 1), (2, 'Woodridge', 2);
INSERT INTO address (address_id, address, district, city_id, postal_code, phone) VALUES
  (1, '47 MySakila Drive', 'Alberta', 1, '', ''),
  (2, '28 MySQL Boulevard', 'QLD', 2, '', ''),
  (3, '1913 Hanoi Way', 'Nagasaki', 1, '35200', '28303384290'),
  (4, '1121 Loja Avenue', 'California', 2, '17886', '838635286649'),
  (5, '692 Joliet Street', 'Attika', 1, '83579', '448477190408');
INSERT INTO store (store_id, manager_staff_id, address_id) VALUES (1, 1, 1), (2, 2, 2);
INSERT INTO staff (staff_id, first_name, last_name, address_id, email, store_id, username) VALUES
  (1, 'Mike', 'Hillyer', 3, 'Mike.Hillyer@sakilastaff.com', 1, 'Mike'),
  (2, 'Jon', 'Stephens', 4, 'Jon.Stephens@sakilastaff.com', 2, 'Jon');
INSERT INTO customer (customer_id, store_id, first_name, last_name, email, address_id, active) VALUES
  (1, 1, 'MARY', 'SMITH', 'MARY.SMITH@sakilacustomer.org', 5, 1),
  (2, 1, 'PATRICIA', 'JOHNSON', 'PATRICIA.JOHNSON@sakilacustomer.org', 3, 1),
  (3, 2, 'LINDA', 'WILLIAMS', 'LINDA.WILLIAMS@sakilacustomer.org', 4, 1),
  (4, 2, 'BARBARA', 'JONES', 'BARBARA.JONES@sakilacustomer.org', 5, 0);
INSERT INTO actor (actor_id, first_name, last_name) VALUES (1, 'PENELOPE', 'GUINESS'), (2, 'NICK', 'WAHLBERG'), (3, 'ED', 'CHASE');
INSERT INTO category (category_id, name) VALUES (1, 'Action'), (2, 'Animation'), (3, 'Documentary');
INSERT INTO film (film_id, title, description, release_year, language_id, rental_duration, rental_rate, length, replacement_cost, rating, special_features) VALUES
  (1, 'ACADEMY DINOSAUR', 'A Epic Drama of a Feminist And a Mad Scientist', 2012, 1, 6, 0.99, 86, 20.99, 'PG', '{"Deleted Scenes","Behind the Scenes"}'),
  (2, 'ACE GOLDFINGER', 'A Astounding Epistle of a Database Administrator', 2012, 1, 3, 4.99, 48, 12.99, 'G', '{Trailers}'),
  (3, 'ADAPTATION HOLES', 'A Astounding Reflection of a Lumberjack', 2012, 1, 7, 2.99, 50, 18.99, 'NC-17', '{Trailers}');
INSERT INTO film_actor (actor_id, film_id) VALUES (1, 1), (2, 1), (2, 2), (3, 3);
INSERT INTO film_category (film_id, category_id) VALUES (1, 3), (2, 1), (3, 2);
INSERT INTO inventory (inventory_id, film_id, store_id) VALUES (1, 1, 1), (2, 1, 2), (3, 2, 1), (4, 3, 2);
INSERT INTO rental (rental_id, rental_date, inventory_id, customer_id, return_date, staff_id) VALUES
  (1, '2022-01-24 21:54:33+00', 1, 1, '2022-01-28 19:40:33+00', 1),
  (2, '2022-05-24 22:54:33+00', 3, 2, '2022-05-26 22:04:30+00', 1),
  (3, '2023-07-25 23:03:39+00', 2, 3, '2023-07-31 22:12:11+00', 2),
  (4, '2026-03-02 15:16:03+00', 4, 4, NULL, 2);
INSERT INTO payment (payment_id, customer_id, staff_id, rental_id, amount, payment_date) VALUES
  (1, 1, 1, 1, 2.99, '2022-01-28 19:40:33+00'),
  (2, 2, 1, 2, 0.99, '2022-05-26 22:04:30+00'),
  (3, 3, 2, 3, 5.99, '2023-07-31 22:12:11+00'),
  (4, 4, 2, 4, 4.99, '2026-03-02 15:16:03+00');
SELECT setval('language_language_id_seq', 2), setval('country_country_id_seq', 2),
       setval('city_city_id_seq', 2), setval('address_address_id_seq', 5),
       setval('store_store_id_seq', 2), setval('staff_staff_id_seq', 2),
       setval('customer_customer_id_seq', 4), setval('actor_actor_id_seq', 3),
       setval('category_category_id_seq', 3), setval('film_film_id_seq', 3),
       setval('inventory_inventory_id_seq', 4), setval('rental_rental_id_seq', 4),
       setval('payment_payment_id_seq', 4);
